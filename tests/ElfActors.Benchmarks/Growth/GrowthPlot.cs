using System.Globalization;
using System.Text;

namespace ElfActors.Benchmarks.Growth;

/// <summary>
/// The growth curve as a hand-written SVG: two log-log panels (time of each step, peak resident memory) against the
/// memory's size, with a dotted line of slope 1 through each series' first point: a series that climbs above its
/// dotted line grows faster than linearly.
/// </summary>
internal static class GrowthPlot
{
    private const int PanelWidth = 420, PanelHeight = 300, Left = 60, Top = 30, Gap = 90;
    private static readonly string[] Colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"];

    public static string Svg(IReadOnlyList<GrowthBenchmark.Point> points)
    {
        var times = new List<(string Name, List<(double X, double Y)> Values)>
        {
            ("host start", points.Select(p => ((double)p.Records, p.HostStartMs)).ToList()),
            ("steady record p50", points.Select(p => ((double)p.Records, p.SteadyP50Ms)).ToList()),
            ("verify", points.Select(p => ((double)p.Records, p.VerifyMs)).ToList()),
            ("reindex", points.Select(p => ((double)p.Records, p.ReindexMs)).ToList()),
            ("import", points.Where(p => p.ImportMs is not null).Select(p => ((double)p.Records, p.ImportMs!.Value)).ToList()),
        };
        var memory = new List<(string Name, List<(double X, double Y)> Values)>
        {
            ("host peak RSS", points.Select(p => ((double)p.Records, p.HostPeakMiB)).ToList()),
            ("reindex peak RSS", points.Select(p => ((double)p.Records, p.ReindexPeakMiB)).ToList()),
            ("import peak RSS", points.Where(p => p.ImportPeakMiB is not null).Select(p => ((double)p.Records, p.ImportPeakMiB!.Value)).ToList()),
        };
        var width = Left + 2 * PanelWidth + Gap + 160;
        var height = Top + PanelHeight + 60;
        var svg = new StringBuilder();
        svg.Append(I($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"sans-serif\" font-size=\"11\">\n"));
        svg.Append(I($"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n"));
        Panel(svg, Left, "time (ms, log)", times, 0);
        Panel(svg, Left + PanelWidth + Gap, "peak resident memory (MiB, log)", memory, times.Count);
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private static void Panel(StringBuilder svg, int x0, string title, List<(string Name, List<(double X, double Y)> Values)> series, int colourOffset)
    {
        var all = series.SelectMany(s => s.Values).Where(v => v.X > 0 && v.Y > 0).ToList();
        if (all.Count == 0) return;
        double minX = Math.Floor(Math.Log10(all.Min(v => v.X))), maxX = Math.Ceiling(Math.Log10(all.Max(v => v.X)));
        double minY = Math.Floor(Math.Log10(all.Min(v => v.Y))), maxY = Math.Ceiling(Math.Log10(all.Max(v => v.Y)));
        if (maxX <= minX) maxX = minX + 1;
        if (maxY <= minY) maxY = minY + 1;
        double Px(double x) => x0 + (Math.Log10(x) - minX) / (maxX - minX) * PanelWidth;
        double Py(double y) => Top + PanelHeight - (Math.Log10(y) - minY) / (maxY - minY) * PanelHeight;
        svg.Append(I($"<text x=\"{x0}\" y=\"{Top - 10}\" font-weight=\"bold\">{title}</text>\n"));
        svg.Append(I($"<rect x=\"{x0}\" y=\"{Top}\" width=\"{PanelWidth}\" height=\"{PanelHeight}\" fill=\"none\" stroke=\"#888\"/>\n"));
        for (var e = minX; e <= maxX; e++)
        {
            var x = Px(Math.Pow(10, e));
            svg.Append(I($"<line x1=\"{x:0.#}\" y1=\"{Top}\" x2=\"{x:0.#}\" y2=\"{Top + PanelHeight}\" stroke=\"#eee\"/>\n"));
            svg.Append(I($"<text x=\"{x:0.#}\" y=\"{Top + PanelHeight + 15}\" text-anchor=\"middle\">{Math.Pow(10, e):N0}</text>\n"));
        }
        for (var e = minY; e <= maxY; e++)
        {
            var y = Py(Math.Pow(10, e));
            svg.Append(I($"<line x1=\"{x0}\" y1=\"{y:0.#}\" x2=\"{x0 + PanelWidth}\" y2=\"{y:0.#}\" stroke=\"#eee\"/>\n"));
            svg.Append(I($"<text x=\"{x0 - 5}\" y=\"{y + 4:0.#}\" text-anchor=\"end\">{Math.Pow(10, e):N0}</text>\n"));
        }
        svg.Append(I($"<text x=\"{x0 + PanelWidth / 2}\" y=\"{Top + PanelHeight + 32}\" text-anchor=\"middle\">records in the memory (log)</text>\n"));
        for (var i = 0; i < series.Count; i++)
        {
            var (name, values) = series[i];
            values = values.Where(v => v.X > 0 && v.Y > 0).ToList();
            if (values.Count == 0) continue;
            var colour = Colours[(colourOffset + i) % Colours.Length];
            var line = string.Join(" ", values.Select(v => I($"{Px(v.X):0.#},{Py(v.Y):0.#}")));
            svg.Append(I($"<polyline points=\"{line}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/>\n"));
            foreach (var v in values) svg.Append(I($"<circle cx=\"{Px(v.X):0.#}\" cy=\"{Py(v.Y):0.#}\" r=\"3\" fill=\"{colour}\"><title>{name}: {v.Y:N0} at {v.X:N0} records</title></circle>\n"));
            // Slope 1 through the first point: linear growth from there (clipped to the panel).
            var (fx, fy) = values[0];
            var lx = values[^1].X;
            var ly = fy * lx / fx;
            if (values.Count > 1 && ly <= Math.Pow(10, maxY))
                svg.Append(I($"<line x1=\"{Px(fx):0.#}\" y1=\"{Py(fy):0.#}\" x2=\"{Px(lx):0.#}\" y2=\"{Py(ly):0.#}\" stroke=\"{colour}\" stroke-dasharray=\"2,3\"/>\n"));
            var legendY = Top + 14 + (colourOffset + i) * 16;
            svg.Append(I($"<line x1=\"{Left + 2 * PanelWidth + Gap + 10}\" y1=\"{legendY - 4}\" x2=\"{Left + 2 * PanelWidth + Gap + 30}\" y2=\"{legendY - 4}\" stroke=\"{colour}\" stroke-width=\"2\"/>\n"));
            svg.Append(I($"<text x=\"{Left + 2 * PanelWidth + Gap + 35}\" y=\"{legendY}\">{name}</text>\n"));
        }
        if (colourOffset == 0)
            svg.Append(I($"<text x=\"{Left + 2 * PanelWidth + Gap + 10}\" y=\"{Top + PanelHeight}\" fill=\"#555\">dotted: linear from the first point</text>\n"));
    }

    private static string I(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
