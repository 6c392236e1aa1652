# error at line 7: a local defined in two locals blocks
lab "x" {}
locals {
  a = 1
}
locals {
  a = 2
}
