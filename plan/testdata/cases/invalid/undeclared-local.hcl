# error at line 4: a reference to a local that does not exist
lab "x" {}
jail "a" {
  hostname = local.nope
}
