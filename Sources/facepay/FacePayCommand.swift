import ArgumentParser

/// The one binary: `facepay <command>`. Each command lives in its own file.
@main
struct FacePayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "facepay",
        abstract: "FacePay: liveness-checked face payments over mutual TLS with a SQLite double-entry ledger.",
        subcommands: [
            ServeCommand.self,
            MigrateCommand.self,
            DevicesCommand.self,
            PKICommand.self,
            KeysCommand.self,
            SimulateCommand.self,
            CalibrateCommand.self,
            BenchCommand.self,
            AuditCommand.self,
            BackupCommand.self,
            LedgerLoadCommand.self,
        ])
}
