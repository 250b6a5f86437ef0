/// Row-major vectors padded to whole SIMD16 steps (zeros beyond each row's length), filled once
/// and then shared read-only by worker threads.
final class PaddedMatrix: @unchecked Sendable {
    // Rows are written before the matrix is shared and never after.
    let rowCount: Int
    let paddedColumns: Int
    private let storage: UnsafeMutablePointer<Float>

    init(rowCount: Int, paddedColumns: Int) {
        precondition(paddedColumns % VectorKernels.laneCount == 0)
        self.rowCount = rowCount
        self.paddedColumns = paddedColumns
        let count = max(1, rowCount * paddedColumns)
        storage = UnsafeMutableRawPointer.allocate(byteCount: count * 4, alignment: 64)
            .bindMemory(to: Float.self, capacity: count)
        storage.initialize(repeating: 0, count: count)
    }

    convenience init(rows: [[Float]], paddedColumns: Int) {
        self.init(rowCount: rows.count, paddedColumns: paddedColumns)
        for (index, row) in rows.enumerated() {
            precondition(row.count <= paddedColumns)
            let base = storage + index * paddedColumns
            for (column, value) in row.enumerated() { base[column] = value }
        }
    }

    /// Copies `count` padded rows, row `index` from `source(index)`.
    convenience init(count: Int, paddedColumns: Int, row source: (Int) -> UnsafePointer<Float>) {
        self.init(rowCount: count, paddedColumns: paddedColumns)
        for index in 0..<count {
            (storage + index * paddedColumns).update(from: source(index), count: paddedColumns)
        }
    }

    deinit {
        storage.update(repeating: 0, count: max(1, rowCount * paddedColumns))
        UnsafeMutableRawPointer(storage).deallocate()
    }

    func row(_ index: Int) -> UnsafePointer<Float> { UnsafePointer(storage + index * paddedColumns) }
}
