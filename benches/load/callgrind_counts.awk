# The totals of a callgrind output file, in a fixed order whatever its `events:` line
# holds: "Ir D1-misses I1-misses mispredicts", where D1 misses are reads + writes
# (D1mr + D1mw) and mispredicts conditional + indirect (Bcm + Bim); the misses are 0 when
# callgrind ran without --cache-sim / --branch-sim. Used by instructions.sh and
# tls_instructions.sh:   awk -f callgrind_counts.awk callgrind.out
/^events:/ { for (i = 2; i <= NF; i++) col[$i] = i }
/^summary:/ {
  split("D1mr D1mw I1mr Bcm Bim", ev, " ")
  for (k in ev) v[ev[k]] = (ev[k] in col) ? $col[ev[k]] : 0
  print $col["Ir"], v["D1mr"] + v["D1mw"], v["I1mr"], v["Bcm"] + v["Bim"]
}
