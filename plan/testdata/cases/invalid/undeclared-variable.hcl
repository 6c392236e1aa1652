# error at line 4: a reference to a variable that is not declared
lab "x" {}
jail "a" {
  hostname = var.nope
}
