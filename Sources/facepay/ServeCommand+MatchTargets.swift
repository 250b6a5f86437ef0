import Biometrics
import FacePayCore
import Logging
import Payments

extension ServeCommand {
    /// `--match-tiers 5000:1e-6,20000:1e-7` (or `none`): each AMOUNT in minor units, each TARGET
    /// a probability; nil when neither the flag nor FACEPAY_MATCH_TIERS is given.
    func matchTiers(_ reader: SettingsReader) throws -> [MatchTier]? {
        let (name, text) = matchTiers.map { ("--match-tiers", $0) } ?? reader.text("FACEPAY_MATCH_TIERS").map { ("FACEPAY_MATCH_TIERS", $0) } ?? ("", "")
        guard !name.isEmpty else { return nil }
        if text == "none" { return [] }
        let expected = "AMOUNT:TARGET[,…] with AMOUNT 0…\(Int64.max) minor units and TARGET in 1e-12…0.5, or 'none'"
        var tiers: [MatchTier] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let fields = part.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count == 2, let amount = Int64(fields[0]), amount >= 0,
                  let target = Double(fields[1]), (1e-12...0.5).contains(target), tiers.count < 16 else {
                throw SettingsReader.invalid(name, text, expected: expected)
            }
            tiers.append(MatchTier(amountAboveMinor: amount, targetFPIR: target))
        }
        return tiers
    }

    /// States each configured model's fitness at the match target (a warning for every unfit
    /// one), and in production refuses payments with an unfit model unless the operator accepted
    /// it by name. A development server warns and serves: it is for trying the product.
    func assessModels(_ settings: inout PaymentsSettings, production: Bool, _ reader: SettingsReader, logger: Logger) throws {
        let frrMax = try reader.number(fitnessFRRMax, flag: "fitness-frr-max", variable: "FACEPAY_FITNESS_FRR_MAX", in: 0.0...1.0)
            ?? ModelFitness.frrMaxDefault
        let bucketSize = try reader.number(fitnessBucketSize, flag: "fitness-bucket-size", variable: "FACEPAY_FITNESS_BUCKET_SIZE",
                                           in: 1...1_000_000_000) ?? ModelFitness.bucketSizeDefault
        let models = ModelRegistry.builtIn
        let acceptedText = acceptUnfitModel.isEmpty ? (reader.text("FACEPAY_ACCEPT_UNFIT_MODELS") ?? "") : acceptUnfitModel.joined(separator: ",")
        let accepted = Set(acceptedText.split(separator: ",").map { String($0) })
        for model in accepted where models.profile(id: model) == nil {
            throw SettingsReader.invalid(acceptUnfitModel.isEmpty ? "FACEPAY_ACCEPT_UNFIT_MODELS" : "--accept-unfit-model", model,
                                         expected: "one of \(models.profiles.keys.sorted().joined(separator: ", "))")
        }
        for profile in models.profiles.values.sorted(by: { $0.id < $1.id }) {
            let fitness = ModelFitness(profile: profile, policy: settings.matchPolicy, bucketSize: bucketSize, frrMax: frrMax)
            guard !fitness.isFit else {
                logger.info("model fit for payments", metadata: ["model": .string(profile.id), "fitness": .string(fitness.summary)])
                continue
            }
            logger.warning("model not fit for payments", metadata: ["model": .string(profile.id), "fitness": .string(fitness.summary)])
            if production && !accepted.contains(profile.id) {
                settings.paymentModelsRefused.insert(profile.id)
                logger.error("payments with this model are refused (422 model_not_fit); --accept-unfit-model \(profile.id) accepts it",
                             metadata: ["model": .string(profile.id)])
            }
        }
    }

    /// The attempt budgets from flags, then FACEPAY_* variables, then `AttemptBudgetSettings`' defaults.
    func attemptBudgets(_ reader: SettingsReader) throws -> AttemptBudgetSettings {
        var result = AttemptBudgetSettings()
        let day = 86_400.0
        if let value = try reader.number(deviceMatchFailuresMax, flag: "device-match-failures-max",
                                         variable: "FACEPAY_DEVICE_MATCH_FAILURES_MAX", in: 1...1_000_000) {
            result.deviceMatchFailuresMax = value
        }
        if let value = try reader.number(deviceMatchWindowSeconds, flag: "device-match-window-seconds",
                                         variable: "FACEPAY_DEVICE_MATCH_WINDOW_SECONDS", in: 1...day) {
            result.deviceMatchWindowSeconds = value
        }
        if let value = try reader.number(deviceMatchLockSeconds, flag: "device-match-lock-seconds",
                                         variable: "FACEPAY_DEVICE_MATCH_LOCK_SECONDS", in: 0...day) {
            result.deviceMatchLockSeconds = value
        }
        if let value = try reader.number(targetMatchFailuresMax, flag: "target-match-failures-max",
                                         variable: "FACEPAY_TARGET_MATCH_FAILURES_MAX", in: 1...1_000_000) {
            result.targetFailuresMax = value
        }
        if let value = try reader.number(targetMatchWindowSeconds, flag: "target-match-window-seconds",
                                         variable: "FACEPAY_TARGET_MATCH_WINDOW_SECONDS", in: 1...day) {
            result.targetWindowSeconds = value
        }
        if let value = try reader.number(targetStepUpSeconds, flag: "target-step-up-seconds",
                                         variable: "FACEPAY_TARGET_STEP_UP_SECONDS", in: 0...day) {
            result.targetStepUpSeconds = value
        }
        return result
    }
}
