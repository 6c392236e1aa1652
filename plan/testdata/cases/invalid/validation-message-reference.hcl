# error at line 8: an error message that uses another variable
lab "x" {}
variable "other" {}
variable "routers" {
  default = 3
  validation {
    condition     = var.routers <= 9
    error_message = "Too many routers for ${var.other}."
  }
}
