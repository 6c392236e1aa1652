# error at line 6: a condition that does not look at the variable
lab "x" {}
variable "routers" {
  default = 3
  validation {
    condition     = 1 < 2
    error_message = "Always fine."
  }
}
