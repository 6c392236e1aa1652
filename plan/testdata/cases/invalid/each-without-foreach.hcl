# error at line 4: each used in a block without for_each
lab "x" {}
jail "r" {
  hostname = each.key
}
