# error at line 9: a condition that uses another variable
lab "x" {}
variable "low" {
  default = 1
}
variable "high" {
  default = 5
  validation {
    condition     = var.high > var.low
    error_message = "high must be above low."
  }
}
