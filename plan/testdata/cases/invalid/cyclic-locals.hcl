# error at line 4: locals that refer to each other in a circle
lab "x" {}
locals {
  a = local.b
  b = local.c
  c = local.a
}
jail "j" {
  hostname = local.a
}
