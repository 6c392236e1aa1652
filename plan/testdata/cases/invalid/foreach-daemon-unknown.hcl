# error at line 5: an unknown daemon kind in a for_each jail
lab "x" {}
jail "r" {
  for_each = toset(["r1", "r2", "r3"])
  daemon "ospf" {}
}
