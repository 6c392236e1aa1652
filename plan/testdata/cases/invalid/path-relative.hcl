# error at line 4: a jail path that is not absolute
lab "x" {}
jail "a" {
  path = "jails/a"
}
