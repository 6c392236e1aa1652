# error at line 7: a condition that gives null for a null value
lab "x" {}
variable "flag" {
  type    = bool
  default = null
  validation {
    condition     = var.flag
    error_message = "flag must be set."
  }
}
