# error at line 4: a position with one number
lab "x" {}
jail "a" {
  position = [10]
}
