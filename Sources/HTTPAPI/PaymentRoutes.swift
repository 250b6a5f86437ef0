import Hummingbird
import Payments
import Stores

/// Terminal and kiosk calls: challenges, payments and their holds and refunds, verifications,
/// enrolment, deposits, erasure. Roles are enforced per group; merchant scoping in the use cases.
struct PaymentRoutes {
    let payments: PaymentsService

    func register(on router: Router<FacePayRequestContext>) {
        let payments = payments
        router.group("v1/challenges")
            .add(middleware: RequireRoleMiddleware(.terminal, .kiosk))
            .post { request, context in
                UseCaseHTTP.response(try await payments.issueChallenge(try await UseCaseHTTP.caller(request, context)))
            }

        let terminal = router.group("v1").add(middleware: RequireRoleMiddleware(.terminal))
        terminal.post("payments") { request, context in
            UseCaseHTTP.response(try await payments.pay(try await UseCaseHTTP.caller(request, context)))
        }
        terminal.post("payments/:id/capture") { request, context in
            let id = try context.parameters.require("id")
            return UseCaseHTTP.response(try await payments.capture(paymentID: id, caller: try await UseCaseHTTP.caller(request, context)))
        }
        terminal.post("payments/:id/void") { request, context in
            let id = try context.parameters.require("id")
            return UseCaseHTTP.response(try await payments.void(paymentID: id, caller: try await UseCaseHTTP.caller(request, context)))
        }
        terminal.post("payments/:id/refunds") { request, context in
            let id = try context.parameters.require("id")
            return UseCaseHTTP.response(try await payments.refund(paymentID: id, caller: try await UseCaseHTTP.caller(request, context)))
        }
        terminal.post("verifications") { request, context in
            UseCaseHTTP.response(try await payments.verify(try await UseCaseHTTP.caller(request, context)))
        }

        router.group("v1/payments")
            .add(middleware: RequireRoleMiddleware(.terminal, .auditor))
            .get(":id") { request, context in
                let id = try context.parameters.require("id")
                return UseCaseHTTP.response(try await payments.payment(id: id, caller: try await UseCaseHTTP.caller(request, context)))
            }

        let kiosk = router.group("v1/customers").add(middleware: RequireRoleMiddleware(.kiosk))
        kiosk.post { request, context in
            UseCaseHTTP.response(try await payments.enrol(try await UseCaseHTTP.caller(request, context)))
        }
        kiosk.post(":id/deposits") { request, context in
            let id = try context.parameters.require("id")
            return UseCaseHTTP.response(try await payments.deposit(customerID: id, caller: try await UseCaseHTTP.caller(request, context)))
        }
        kiosk.delete(":id/biometrics") { request, context in
            let id = try context.parameters.require("id")
            return UseCaseHTTP.response(try await payments.eraseBiometrics(customerID: id, caller: try await UseCaseHTTP.caller(request, context)))
        }
    }
}
