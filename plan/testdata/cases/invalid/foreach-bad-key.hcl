# error at line 4: a for_each key that is not a valid jail name
lab "x" {}
jail "r" {
  for_each = toset(["r1", "r 2"])
}
