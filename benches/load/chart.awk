# The suite's summary chart: reads `label<TAB>ratio` lines (ratio = ours ÷ the row's
# peer, for a cost: server CPU or memory per unit of work) and writes an SVG of horizontal
# bars with a dashed line at 1.0, each bar labelled with its value. Bars under 1.0 (ours
# cheaper) are green, others orange; a ratio that is not a positive number is drawn as
# "n/a". The scale ends at 3.0 at most: a larger ratio (a row against a floor such as
# canned_h2) is drawn to the edge, its value marked "off scale". Used by suite.sh:
#   awk -f chart.awk -v title="..." -v note="..." ratios.tsv > summary.svg
# (note: lines under the chart, separated by "\n").
BEGIN { FS = "\t"; n = 0; max = 1.25; cap = 3 }
NF >= 2 && $1 != "" {
  n++; label[n] = $1; r[n] = $2 + 0
  if (r[n] > max) max = r[n] < cap ? r[n] : cap
}
function esc(s) { gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s); return s }
END {
  left = 330; width = 420; top = 46; bar = 18; gap = 8; right = 70
  max = max * 1.05
  nn = note == "" ? 0 : split(note, notes, "\n")
  h = top + n * (bar + gap) + 28 + nn * 14
  w = left + width + right
  printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n", w, h, w, h
  printf "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
  printf "<text x=\"%d\" y=\"20\" font-size=\"14\" font-weight=\"bold\">%s</text>\n", 10, esc(title)
  printf "<text x=\"%d\" y=\"36\" fill=\"#555\">ours ÷ peer, server CPU (or memory) per unit of work: below 1.0 = ours uses less</text>\n", 10
  for (i = 1; i <= n; i++) {
    y = top + (i - 1) * (bar + gap)
    printf "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n", left - 8, y + bar - 5, esc(label[i])
    if (r[i] > 0) {
      off = r[i] > max
      bw = (off ? max : r[i]) / max * width
      color = r[i] < 1 ? "#4caf50" : "#ff9800"
      printf "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>\n", left, y, bw, bar, color
      if (off)
        printf "<text x=\"%.1f\" y=\"%d\" text-anchor=\"end\" fill=\"white\">%.2f× (off scale)</text>\n", left + bw - 4, y + bar - 5, r[i]
      else
        printf "<text x=\"%.1f\" y=\"%d\">%.2f×</text>\n", left + bw + 4, y + bar - 5, r[i]
    } else {
      printf "<text x=\"%d\" y=\"%d\" fill=\"#888\">n/a</text>\n", left + 4, y + bar - 5
    }
  }
  x1 = left + 1 / max * width
  printf "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"black\" stroke-dasharray=\"4 3\"/>\n", x1, top - 4, x1, top + n * (bar + gap)
  printf "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">1.0</text>\n", x1, top + n * (bar + gap) + 14
  printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>\n", left, top - 4, left, top + n * (bar + gap)
  for (i = 1; i <= nn; i++)
    printf "<text x=\"10\" y=\"%d\" fill=\"#555\" font-size=\"11\">%s</text>\n", h - 8 - (nn - i) * 14, esc(notes[i])
  printf "</svg>\n"
}
