# error at line 7: an error message of only spaces
lab "x" {}
variable "routers" {
  default = 3
  validation {
    condition     = var.routers > 0
    error_message = "   "
  }
}
