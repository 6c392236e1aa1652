# error at line 7: an error message that is not a string
lab "x" {}
variable "routers" {
  default = 3
  validation {
    condition     = var.routers > 0
    error_message = ["too", "few"]
  }
}
