/// How `input.prevTxid` is stored, and the one way to read it back.
///
/// An input linked to the output it spends (`spentOutputId` set) names its prevout twice: by `prevTxid` and
/// `prevVout`, and by the output row, whose transaction's `txid` is the same 32 bytes. Such inputs store an empty
/// BLOB in `prevTxid` (32 bytes less per input, about 8 % of a case file) and readers take the txid from the spent
/// output's transaction. The rule holds in every state the database reaches: the ingest and `spoor fetch` write
/// the txid only for inputs they could not resolve, clear it when they resolve one later, and a reorg that
/// unlinks an input writes the txid back before the output goes. Rows written before this rule keep their txids
/// and read the same. Coinbase inputs (never linked) keep their zero `prevTxid`.
public enum InputPrevTxid {
    /// A column expression for an input's prevout txid, for a query that has the input as `input` and
    /// `LEFT JOIN`s `joins(input:)`.
    public static func column(input i: String) -> String {
        "CASE WHEN length(\(i).prevTxid) = 0 THEN \(i)_spentTx.txid ELSE \(i).prevTxid END"
    }

    /// The joins `column(input:)` needs: the spent output and its transaction.
    public static func joins(input i: String) -> String {
        "LEFT JOIN output \(i)_spent ON \(i)_spent.id = \(i).spentOutputId LEFT JOIN tx \(i)_spentTx ON \(i)_spentTx.id = \(i)_spent.txId"
    }
}
