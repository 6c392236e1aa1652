# error at line 7: the default fails the variable's validation rule
lab "x" {}
variable "routers" {
  type    = number
  default = 12
  validation {
    condition     = var.routers >= 2 && var.routers <= 9
    error_message = "routers must be from 2 to 9."
  }
}
