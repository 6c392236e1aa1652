# error at line 4: a local that refers to itself
lab "x" {}
locals {
  a = "${local.a}x"
}
