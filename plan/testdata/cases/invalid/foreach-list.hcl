# error at line 4: for_each given a list rather than a set or map
lab "x" {}
jail "r" {
  for_each = ["r1", "r2"]
}
