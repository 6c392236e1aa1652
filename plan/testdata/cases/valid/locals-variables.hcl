# Locals that use later locals and typed variables with defaults.
lab "vars" {
  description = "${var.course} lab"
}

variable "course" {
  type    = string
  default = "Networks 101"
}

variable "routers" {
  type    = list(string)
  default = ["r1", "r2"]
}

variable "base" {
  type = object({
    prefix = string
    mtu    = optional(number, 1400)
  })
  default = { prefix = "10.200.0.0/16" }
}

locals {
  link_name = "${local.first}-${local.second}"
  first     = var.routers[0]
  second    = var.routers[1]
}

jail "r" {
  for_each = toset(var.routers)
}

link "main" {
  between = [local.first, local.second]
  subnet  = cidrsubnet(var.base.prefix, 8, 0)
  mtu     = var.base.mtu
}
