# A hub with many spokes whose long names share a prefix.
lab "hub" {}

jail "hub" {
  forwarding = true
}

jail "spoke" {
  for_each = toset([for i in range(12) : format("classroom-desk-%02d", i)])
}

link "spoke" {
  for_each = toset([for i in range(12) : format("classroom-desk-%02d", i)])
  between  = ["hub", each.key]
  subnet   = cidrsubnet("10.4.0.0/16", 14, tonumber(substr(each.key, 15, 2)))
}
