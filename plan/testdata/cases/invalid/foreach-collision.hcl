# error at line 6: a for_each key that collides with a jail declared before
lab "x" {}
jail "a" {}
jail "b" {}
jail "router" {
  for_each = toset(["a", "c"])
}
