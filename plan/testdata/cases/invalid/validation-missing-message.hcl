# error at line 5: a validation block without error_message
lab "x" {}
variable "routers" {
  default = 3
  validation {
    condition = var.routers > 0
  }
}
