import FacePayCore
import Foundation
import HTTPTypes
import Hummingbird
import Stores

/// `GET /v1/ledger/transfers.csv`, streamed page by page: memory is bounded by one page
/// (`pageRows` transfers) whatever the size of the ledger.
///
/// Each page is its own short read transaction; none is open while a page is written to the
/// network, so a slow client holds no snapshot (which would stop WAL checkpoints) and no reader
/// connection. The export is therefore not one snapshot, and need not be: transfers are never
/// updated or deleted and `seq` follows commit order (one SQLite writer), so paging by `seq`
/// yields every transfer that existed when the export began, each once, in order, plus any
/// committed while it ran.
///
/// With a `limit` the answer is that one page and its `Next-Cursor` header, as before. The first
/// page is always read before the headers go out, so a failing read is still a problem+json;
/// a later failure can only cut the body, which the client sees as a chunked body without its
/// last chunk, never as a complete file.
struct TransferCSVExport: Sendable {
    let reader: any AuditReader
    /// Transfers per read when the export is the whole filtered ledger.
    let pageRows: Int
    /// Told the number of transfers of each page read (tests assert the bound with it).
    let pageRead: @Sendable (Int) -> Void

    init(reader: any AuditReader, pageRows: Int, pageRead: @escaping @Sendable (Int) -> Void = { _ in }) {
        precondition(pageRows > 0, "page size must be positive")
        self.reader = reader
        self.pageRows = pageRows
        self.pageRead = pageRead
    }

    static let nextCursorHeader = HTTPField.Name("Next-Cursor")!

    /// `query.limit` is honoured when `wantsAll` is false; otherwise every page of `pageRows`.
    func response(_ query: TransferQuery, wantsAll: Bool) async throws -> Response {
        var query = query
        if wantsAll { query.limit = pageRows }
        let first = try await read(query)
        var headers = HTTPFields()
        headers[.contentType] = "text/csv; charset=utf-8"
        headers[.contentDisposition] = "attachment; filename=\"transfers.csv\""
        guard wantsAll else {
            if let next = first.nextCursor { headers[Self.nextCursorHeader] = String(next) }
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: Self.lines(first, header: true)))
        }
        let export = self
        let filters = query
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            try await writer.write(Self.lines(first, header: true))
            var pageQuery = filters
            var next = first.nextCursor
            while let cursor = next {
                pageQuery.afterSeq = cursor
                let page = try await export.read(pageQuery)
                try await writer.write(Self.lines(page, header: false))
                next = page.nextCursor
            }
            try await writer.finish(nil)
        })
    }

    private func read(_ query: TransferQuery) async throws -> TransferPage {
        let page = try await reader.transfers(query)
        pageRead(page.transfers.count)
        return page
    }

    /// One page as CSV lines (CRLF after each, RFC 4180), headed by the column names on the first.
    static func lines(_ page: TransferPage, header: Bool) -> ByteBuffer {
        var text = header ? TransferWire.csvHeader + "\r\n" : ""
        for transfer in page.transfers { text += TransferWire(transfer).csvLine + "\r\n" }
        return ByteBuffer(string: text)
    }
}
