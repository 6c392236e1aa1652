# error at line 6: a jail declared after a for_each group that already made it
lab "x" {}
jail "router" {
  for_each = toset(["a", "c"])
}
jail "c" {}
