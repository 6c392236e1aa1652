# error at line 4: a position that is not numbers
lab "x" {}
jail "a" {
  position = ["left", "top"]
}
