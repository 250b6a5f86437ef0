import Foundation

/// A DET plot (FNMR against FMR, both on log₁₀ axes) as plain SVG text: no scripts, no external
/// resources, readable in any browser. Table rows are marked on the curve.
public enum DETPlot {
    public static func svg(curve: [DETPoint], rows: [CalibrationPoint] = [], title: String) -> String {
        let width = 720.0
        let height = 520.0
        let left = 80.0
        let right = 24.0
        let top = 48.0
        let bottom = 64.0
        let plotWidth = width - left - right
        let plotHeight = height - top - bottom

        let positive = curve.filter { $0.fmr > 0 && $0.fnmr > 0 }
        let minimumFMR = positive.map(\.fmr).min() ?? 1e-6
        let minimumFNMR = positive.map(\.fnmr).min() ?? 1e-4
        let xDecadeLow = min(-1, Int(floor(log10(minimumFMR))))
        let yDecadeLow = min(-1, Int(floor(log10(minimumFNMR))))

        func x(_ fmr: Double) -> Double {
            let clamped = max(log10(max(fmr, 1e-300)), Double(xDecadeLow))
            return left + (clamped - Double(xDecadeLow)) / Double(-xDecadeLow) * plotWidth
        }
        func y(_ fnmr: Double) -> Double {
            let clamped = max(log10(max(fnmr, 1e-300)), Double(yDecadeLow))
            return top + plotHeight - (clamped - Double(yDecadeLow)) / Double(-yDecadeLow) * plotHeight
        }
        func format(_ value: Double) -> String { String(format: "%.2f", value) }

        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
            viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
            <rect x="0" y="0" width="\(Int(width))" height="\(Int(height))" fill="white"/>
            <text x="\(format(width / 2))" y="24" text-anchor="middle" font-size="15">\(escaped(title))</text>

            """
        // Decade grid and tick labels.
        for decade in xDecadeLow...0 {
            let position = x(pow(10, Double(decade)))
            svg += "<line x1=\"\(format(position))\" y1=\"\(format(top))\" x2=\"\(format(position))\" y2=\"\(format(top + plotHeight))\" stroke=\"#dddddd\"/>\n"
            svg += "<text x=\"\(format(position))\" y=\"\(format(top + plotHeight + 18))\" text-anchor=\"middle\">1e\(decade)</text>\n"
        }
        for decade in yDecadeLow...0 {
            let position = y(pow(10, Double(decade)))
            svg += "<line x1=\"\(format(left))\" y1=\"\(format(position))\" x2=\"\(format(left + plotWidth))\" y2=\"\(format(position))\" stroke=\"#dddddd\"/>\n"
            svg += "<text x=\"\(format(left - 8))\" y=\"\(format(position + 4))\" text-anchor=\"end\">1e\(decade)</text>\n"
        }
        svg += "<rect x=\"\(format(left))\" y=\"\(format(top))\" width=\"\(format(plotWidth))\" height=\"\(format(plotHeight))\" fill=\"none\" stroke=\"black\"/>\n"
        svg += "<text x=\"\(format(left + plotWidth / 2))\" y=\"\(format(height - 18))\" text-anchor=\"middle\">False match rate (FMR, per comparison, log scale)</text>\n"
        svg += "<text transform=\"translate(20 \(format(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">False non-match rate (FNMR, log scale)</text>\n"

        let path = positive.map { "\(format(x($0.fmr))),\(format(y($0.fnmr)))" }.joined(separator: " ")
        svg += "<polyline fill=\"none\" stroke=\"#1f5fbf\" stroke-width=\"2\" points=\"\(path)\"/>\n"

        for row in rows {
            let cx = x(row.fmr)
            let cy = y(max(row.fnmr, pow(10, Double(yDecadeLow))))
            svg += "<circle cx=\"\(format(cx))\" cy=\"\(format(cy))\" r=\"3.5\" fill=\"#c0392b\"><title>FMR \(row.fmr): similarity ≥ \(row.similarity), FNMR \(String(format: "%.4f", row.fnmr))</title></circle>\n"
        }
        if !rows.isEmpty {
            svg += "<text x=\"\(format(left + plotWidth - 8))\" y=\"\(format(top + 16))\" text-anchor=\"end\" fill=\"#c0392b\">● calibration table rows</text>\n"
        }
        svg += "</svg>\n"
        return svg
    }

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;")
            .replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }
}
