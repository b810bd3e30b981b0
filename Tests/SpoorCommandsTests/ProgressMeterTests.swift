import Foundation
import Investigation
@testable import SpoorCommands
import Testing

/// The progress line: rate-limited, redrawn in place, with an estimate where the share done is known.
@Suite struct ProgressMeterTests {
    final class Recorder {
        var lines: [String] = []
        var clock = 0.0
    }

    static func meter(_ r: Recorder, enabled: Bool = true) -> ProgressMeter {
        ProgressMeter(enabled: enabled, interval: 0.25, now: { r.clock }, write: { r.lines.append($0) })
    }

    @Test func redrawsAtMostFourTimesASecondButShowsANewStepAtOnce() {
        let r = Recorder()
        let meter = Self.meter(r)
        for i in 0..<100 {  // a tick every 10 ms for one second
            r.clock = Double(i) * 0.01
            meter.show(ClusterProgress(step: .clustering, done: i * 1000, total: 100_000, seconds: r.clock))
        }
        #expect(r.lines.count == 4)
        meter.show(ClusterProgress(step: .writing, done: nil, total: nil, seconds: r.clock))
        #expect(r.lines.count == 5)
        #expect(r.lines.allSatisfy { $0.hasPrefix("\r") })
        meter.finish()
        #expect(r.lines.last == "\n")
    }

    @Test func estimatesTheTimeLeftFromTheShareDone() {
        let r = Recorder()
        let meter = Self.meter(r)
        meter.show(ClusterProgress(step: .clustering, done: 25_000, total: 100_000, seconds: 10))
        #expect(r.lines == ["\rclustering: 25000 of 100000 transactions (10 s), 25%, about 30 s left   "])
        r.clock = 1
        meter.show(ClusterProgress(step: .reading, done: nil, total: nil, seconds: 3))
        #expect(r.lines.last == "\rreading the chain (3 s)   ")
    }

    @Test func aDisabledMeterWritesNothing() {
        let r = Recorder()
        let meter = Self.meter(r, enabled: false)
        meter.show(ClusterProgress(step: .clustering, done: 1, total: 2, seconds: 1))
        meter.finish()
        #expect(r.lines.isEmpty)
    }

    /// The estimate of a step is drawn from the step's own time (ClusterStoreTests checks the runner's events).
    @Test func theEstimateCountsOnlyTheStepsOwnTime() {
        let r = Recorder()
        let meter = Self.meter(r)
        // The estimate is the step's: 6 s of loading the chain before the walk do not count.
        meter.show(ClusterProgress(step: .clustering, done: 0, total: 1_000_000, seconds: 6, stepSeconds: 0))
        r.clock = 2
        meter.show(ClusterProgress(step: .clustering, done: 65_536, total: 1_000_000, seconds: 8, stepSeconds: 2))
        #expect(r.lines == ["\rclustering: 0 of 1000000 transactions (6 s)   ",
                            "\rclustering: 65536 of 1000000 transactions (8 s), 7%, about 29 s left   "])
    }
}
