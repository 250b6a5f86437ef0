#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// libFuzzer's entry point when it does not own `main` (libclang_rt.fuzzer_no_main): it parses
// libFuzzer's flags from argv and calls the callback once per input. Why not `-sanitize=fuzzer`:
// SwiftPM links an executable target with its own `main`, which that flag's libFuzzer `main`
// collides with (CONVENTIONS.md "Known ground").
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The one input handler of this process; a C callback cannot capture, so it reads this. Set once
/// before the driver starts, read only by libFuzzer's single fuzzing thread.
nonisolated(unsafe) private var inputHandler: (([UInt8]) -> Void)?

/// Runs libFuzzer with this process's arguments, calling `handler` with every input it makes.
/// `handler` checks its properties with `check`; a trap anywhere is a crash libFuzzer records.
public func fuzz(_ handler: @escaping ([UInt8]) -> Void) -> Never {
    inputHandler = handler
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    let status = LLVMFuzzerRunDriver(&argc, &argv) { data, count in
        let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? []
        inputHandler?(bytes)
        return 0
    }
    exit(status)
}

/// A property of the code under test. A violation stops the process with the message (and
/// libFuzzer saves the input as a crash artifact), the same way as a trap in the code itself.
public func check(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
    guard !condition else { return }
    fatalError("property violated: \(message())", file: file, line: line)
}
