import Foundation

/// Escapes text for HTML and SVG: element content and quoted attribute values.
public enum HTML {
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}

/// Charts drawn on the server as SVG: no script, no library, nothing fetched, so they work
/// offline and under the console's Content-Security-Policy. Colours come from the console's
/// stylesheet by class; every label is escaped.
public enum SVGChart {
    /// One bar of a bar chart.
    public struct Bar {
        public let label: String
        public let value: Int

        public init(label: String, value: Int) {
            self.label = label
            self.value = value
        }
    }

    /// Horizontal bars, one per label (a county), with the value at the bar's end.
    public static func bars(_ bars: [Bar], title: String) -> String {
        let rowHeight = 18, labelWidth = 96, barWidth = 300, top = 6
        let height = top + bars.count * rowHeight + 6
        let maximum = max(1, bars.map(\.value).max() ?? 1)
        var svg = #"<svg class="chart bars" role="img" viewBox="0 0 \#(labelWidth + barWidth + 48) \#(height)" width="\#(labelWidth + barWidth + 48)" height="\#(height)" xmlns="http://www.w3.org/2000/svg">"#
        svg += "<title>\(HTML.escape(title))</title>"
        for (index, bar) in bars.enumerated() {
            let y = top + index * rowHeight
            let width = bar.value == 0 ? 0 : max(2, bar.value * barWidth / maximum)
            svg += #"<text class="label" x="\#(labelWidth - 6)" y="\#(y + 13)" text-anchor="end">\#(HTML.escape(bar.label))</text>"#
            svg += #"<rect class="bar" x="\#(labelWidth)" y="\#(y + 3)" width="\#(width)" height="\#(rowHeight - 6)"/>"#
            svg += #"<text class="value" x="\#(labelWidth + width + 4)" y="\#(y + 13)">\#(bar.value)</text>"#
        }
        return svg + "</svg>"
    }

    /// A point of a line over time: days since 1970 and a value.
    public struct Point {
        public let day: Int
        public let value: Int

        public init(day: Int, value: Int) {
            self.day = day
            self.value = value
        }
    }

    /// The count over time (a step line) against the straight line the plan expects, from the
    /// plan's start to its end, with the goal as a level and today marked.
    public static func pace(actual: [Point], expectedFrom start: Point, to end: Point, today: Int, goal: Int, title: String,
                     dayLabel: (Int) -> String) -> String {
        let width = 420, height = 180, left = 40, right = 10, top = 10, bottom = 24
        let firstDay = min(start.day, actual.first?.day ?? start.day)
        let lastDay = max(end.day, today)
        let maximum = max(1, goal, actual.map(\.value).max() ?? 0)
        func x(_ day: Int) -> Int { left + (day - firstDay) * (width - left - right) / max(1, lastDay - firstDay) }
        func y(_ value: Int) -> Int { height - bottom - value * (height - top - bottom) / maximum }
        var svg = #"<svg class="chart pace" role="img" viewBox="0 0 \#(width) \#(height)" width="\#(width)" height="\#(height)" xmlns="http://www.w3.org/2000/svg">"#
        svg += "<title>\(HTML.escape(title))</title>"
        svg += #"<line class="axis" x1="\#(left)" y1="\#(height - bottom)" x2="\#(width - right)" y2="\#(height - bottom)"/>"#
        svg += #"<line class="axis" x1="\#(left)" y1="\#(top)" x2="\#(left)" y2="\#(height - bottom)"/>"#
        svg += #"<line class="goal" x1="\#(left)" y1="\#(y(goal))" x2="\#(width - right)" y2="\#(y(goal))"/>"#
        svg += #"<text class="tick" x="\#(left - 4)" y="\#(y(goal) + 4)" text-anchor="end">\#(goal)</text>"#
        svg += #"<text class="tick" x="\#(left - 4)" y="\#(height - bottom + 4)" text-anchor="end">0</text>"#
        svg += #"<line class="expected" x1="\#(x(start.day))" y1="\#(y(start.value))" x2="\#(x(end.day))" y2="\#(y(end.value))"/>"#
        if !actual.isEmpty {
            var path = "M\(x(actual[0].day)),\(y(actual[0].value))"
            for (previous, point) in zip(actual, actual.dropFirst()) {
                path += " L\(x(point.day)),\(y(previous.value)) L\(x(point.day)),\(y(point.value))"
            }
            path += " L\(x(today)),\(y(actual.last!.value))"
            svg += #"<path class="actual" d="\#(path)"/>"#
        }
        svg += #"<line class="today" x1="\#(x(today))" y1="\#(top)" x2="\#(x(today))" y2="\#(height - bottom)"/>"#
        svg += #"<text class="tick" x="\#(x(firstDay))" y="\#(height - 6)">\#(HTML.escape(dayLabel(firstDay)))</text>"#
        svg += #"<text class="tick" x="\#(x(end.day))" y="\#(height - 6)" text-anchor="end">\#(HTML.escape(dayLabel(end.day)))</text>"#
        return svg + "</svg>"
    }
}
