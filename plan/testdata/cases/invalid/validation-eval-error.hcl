# error at line 6: a condition that cannot be evaluated
lab "x" {}
variable "net" {
  default = "10.0.0.0/33"
  validation {
    condition     = cidrhost(var.net, 1) != ""
    error_message = "net must be a CIDR prefix."
  }
}
