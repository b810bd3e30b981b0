import Dispatch
import GRDB

/// Batches of a bulk load written on a second thread while the next batch is read and staged, so reading,
/// decoding and staging use one core and SQLite the other.
///
/// Only a bulk load into an empty database qualifies: there every stored output and address is in the caches,
/// so staging never reads the database and needs no transaction. Each batch is still one SQLite transaction
/// with its checkpoint, written in order, one at a time: a killed ingest leaves the same database as before
/// (whole batches up to some checkpoint) and resumes from it. Anything else — a loose transaction, a reorg,
/// a batch that links inputs stored earlier, a cache trim that ends the bulk load — waits for the batch in
/// flight and runs in one transaction on the calling thread.
final class IngestPipeline: @unchecked Sendable {
    private let queue = DispatchQueue(label: "spoor.ingest.writer")
    /// Held while a batch is in flight; its error is kept for the next `wait`.
    private let idle = DispatchSemaphore(value: 1)
    private var failure: (any Error)?
    /// Thread CPU seconds of the writes and the commits, summed.
    private(set) var writeSeconds = 0.0, commitSeconds = 0.0

    /// Runs `write` on the writer thread once the batch before it is written. `write` returns the thread CPU
    /// time at which its rows were written (the rest, until it returns, is the commit).
    func submit(_ write: @escaping @Sendable () throws -> Double) throws {
        try wait()
        idle.wait()
        let job = Job(write)
        queue.async {
            self.run(job)
            self.idle.signal()
        }
    }

    /// Runs and drops the job's closure before `submit`'s block signals: the closure holds the ingest state and
    /// with it the case database, which must be closed (its writer lock released, its `-shm` removed) by the
    /// time `wait` returns, not whenever the dispatch queue releases the block.
    private func run(_ job: Job) {
        guard let write = job.take() else { return }
        let start = ThreadClock.now()
        do {
            let written = try write()
            let end = ThreadClock.now()
            writeSeconds += written - start
            commitSeconds += end - written
        } catch {
            failure = error
        }
    }

    private final class Job: @unchecked Sendable {
        private var write: (@Sendable () throws -> Double)?
        init(_ write: @escaping @Sendable () throws -> Double) { self.write = write }
        func take() -> (@Sendable () throws -> Double)? {
            defer { write = nil }
            return write
        }
    }

    /// Waits until no batch is in flight; throws the error of the last one, if it failed.
    func wait() throws {
        idle.wait()
        defer { idle.signal() }
        if let failure {
            self.failure = nil
            throw failure
        }
    }
}

/// The ingest state crossing to the writer thread: only `write(_:_:)`, `writeCheckpoint` and the statements
/// are used there, on rows the staging thread no longer holds.
private struct WriterHandle: @unchecked Sendable {
    let state: IngestState
    let rows: StagedRows
}

extension IngestState {
    /// Stages a batch of connected blocks outside any transaction and hands its rows to the writer thread;
    /// false (nothing done) when the batch does not qualify (see `IngestPipeline`).
    func commitPipelined(_ batch: [IngestAction]) throws -> Bool {
        guard options.writerThread, bulkLoad,
              batch.allSatisfy({ if case .connect = $0 { true } else { false } }) else { return false }
        let tStart = ThreadClock.now()
        try beginStaging()
        for case let .connect(sb, height) in batch { try stageBlock(sb, height: height, nil) }
        summary.timing.stageSeconds += ThreadClock.now() - tStart
        guard staged.touchedTxIds.isEmpty, staged.lateResolved.isEmpty else {
            // Inputs stored in an earlier batch were linked: their fees are recomputed through indexes the
            // bulk load dropped, so this batch ends it, in one transaction here.
            try finishWrites()
            try database.queue.write { db in
                self.statements = try IngestStatements(db)
                defer { self.statements = nil }
                try self.writeBatch(db)
            }
            return true
        }
        staged.tip = tip
        let handle = WriterHandle(state: self, rows: staged)
        staged = StagedRows()  // the writer owns the staged arrays now
        let writer = pipeline ?? IngestPipeline()
        pipeline = writer
        summary.timing.writerThreadBatches += 1
        try writer.submit {
            var written = 0.0
            try handle.state.database.queue.write { db in
                handle.state.statements = try IngestStatements(db)
                defer { handle.state.statements = nil }
                try handle.state.write(handle.rows, db)
                try handle.state.writeCheckpoint(handle.rows, db)
                written = ThreadClock.now()
            }
            return written
        }
        return true
    }

    /// Waits for the batch in flight, if any, and adds the writer's times to the summary; throws its error.
    func finishWrites() throws {
        guard let writer = pipeline else { return }
        pipeline = nil
        defer {
            summary.timing.writeSeconds += writer.writeSeconds
            summary.timing.commitSeconds += writer.commitSeconds
        }
        try writer.wait()
    }
}
