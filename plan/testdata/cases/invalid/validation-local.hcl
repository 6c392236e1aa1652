# error at line 9: a condition that uses a local value
lab "x" {}
locals {
  limit = 9
}
variable "routers" {
  default = 3
  validation {
    condition     = var.routers <= local.limit
    error_message = "Too many routers."
  }
}
