import Foundation

/// Where a call run on another thread leaves its outcome.
public final class ResultBox<T>: @unchecked Sendable {
    public var result: Result<T, any Error>?
    public init() {}
}

/// Runs `body` on its own thread and gives up after `seconds`: a call that hangs fails its test instead of
/// hanging the run (the hung thread is left behind). Nil when the time ran out.
public func withinSeconds<T: Sendable>(_ seconds: Double, _ body: @escaping @Sendable () throws -> T)
    -> Result<T, any Error>? {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Thread {
        box.result = Result { try body() }
        done.signal()
    }.start()
    guard done.wait(timeout: .now() + seconds) == .success else { return nil }
    return box.result
}
