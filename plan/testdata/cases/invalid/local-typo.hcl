# error at line 6: a misspelt local value name, used in a for_each
lab "x" {}
locals {
  routers = ["r1", "r2"]
}
jail "r" { for_each = toset(local.router) }
