# error at line 4: a for_each set of numbers, not strings
lab "x" {}
jail "r" {
  for_each = toset([1, 2])
}
