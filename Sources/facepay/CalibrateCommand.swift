import ArgumentParser
import Biometrics
import FacePayCore
import Foundation

/// `facepay calibrate FILE.jsonl[.gz] [--svg det.svg] [--json] [--swift ENUM]`: labelled
/// embeddings → genuine and impostor cosine-similarity distributions over all pairs → a
/// similarity threshold per false-match rate, and a DET plot. The rules (rows, confidence bound,
/// refusal below the table) are `Calibration`'s.
struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Similarity thresholds per false-match rate from labelled embeddings, and a DET plot.",
        discussion: """
            FILE has one JSON object a line: {"identity": "...", "embedding": [numbers]}. A name \
            ending in .gz is decompressed with `gzip -dc`. Every pair of embeddings is scored \
            (cosine similarity); pairs of one identity are genuine, the others impostors. \
            Built-in profiles are committed with --swift, e.g. from the repository root: \
            swift run -c release facepay calibrate ../shared/data/lfw-dlib128-dev.jsonl.gz \
            --swift DlibResNetV1Calibration > Sources/Biometrics/DlibResNetV1Calibration.swift
            """)

    @Argument(help: "Labelled embeddings, JSON Lines (optionally gzip-compressed, .gz).")
    var file: String

    @Option(name: .long, help: ArgumentHelp("Write the DET plot (SVG) to this path.", valueName: "path"))
    var svg: String?

    @Flag(name: .long, help: "Print the report as JSON: {\"model_dim\", \"genuine_pairs\", \"impostor_pairs\", \"thresholds\"}.")
    var json = false

    @Option(name: .long, help: ArgumentHelp(
        "Print the table as a Swift source file declaring this enum (how built-in profiles are committed).",
        valueName: "enum-name"))
    var swift: String?

    @Option(name: .long, help: "Model id named in the --swift output's documentation.")
    var profileID = "dlib-resnet-v1"

    @Option(name: .long, help: "Match target (false-accept rate per attempt) the fitness verdict is for (default 2e-05, the server's).")
    var targetFPIR: Double = MatchPolicy.targetFPIRDefault

    @Option(name: .long, help: "Templates in a phone-hint bucket for the fitness verdict (default 10).")
    var bucketSize: Int = ModelFitness.bucketSizeDefault

    @Option(name: .long, help: "Largest false-reject rate a fit model may have at the target (default 0.05).")
    var frrMax: Double = ModelFitness.frrMaxDefault

    func validate() throws {
        guard targetFPIR > 0, targetFPIR < 1 else { throw ValidationError("--target-fpir must be in (0, 1)") }
        guard bucketSize >= 1, bucketSize <= 1_000_000_000 else { throw ValidationError("--bucket-size must be 1 or more") }
        guard frrMax >= 0, frrMax <= 1 else { throw ValidationError("--frr-max must be in [0, 1]") }
    }

    func run() throws {
        // Progress on a terminal only, on stderr, so --json and --swift output stay clean.
        let terminal = isatty(STDERR_FILENO) != 0
        if terminal { FileHandle.standardError.write(Data("reading \(file)\n".utf8)) }
        let samples = try CommandErrors.run { try LabelledEmbeddingFile.read(path: file) }
        let progress: (@Sendable (Double) -> Void)?
        if terminal {
            progress = { fraction in
                let line = String(format: "\rscoring all pairs %3.0f %%", fraction * 100) + (fraction >= 1 ? "\n" : "")
                FileHandle.standardError.write(Data(line.utf8))
            }
        } else {
            progress = nil
        }
        let result = Calibration.run(samples, progress: progress)

        if let svg {
            let name = URL(fileURLWithPath: file).lastPathComponent
            let plot = DETPlot.svg(
                curve: result.detCurve, rows: result.report.thresholds,
                title: "DET: \(name) (\(result.report.genuinePairs) genuine, \(result.report.impostorPairs) impostor pairs)")
            do {
                try Data(plot.utf8).write(to: URL(fileURLWithPath: svg), options: .atomic)
            } catch {
                throw CommandFailure(message: "cannot write \(svg): \(error.localizedDescription)")
            }
        }
        if let swift {
            let command = "swift run -c release facepay calibrate \(file) --swift \(swift) > Sources/Biometrics/\(swift).swift"
            print(result.swiftSource(enumName: swift, profileID: profileID, reproduceCommand: command), terminator: "")
        } else if json {
            print(result.report.jsonText())
        } else {
            print(result.readableTable(), terminator: "")
            // The verdict an operator needs: can this model take payments at the target?
            if !result.report.thresholds.isEmpty {
                let table = CalibrationTable(report: result.report, method: "this file")
                let fitness = ModelFitness(modelID: profileID, calibration: table, targetFPIR: targetFPIR,
                                           bucketSize: bucketSize, frrMax: frrMax)
                print("")
                print("fitness: \(fitness.summary)")
            }
        }
    }
}
