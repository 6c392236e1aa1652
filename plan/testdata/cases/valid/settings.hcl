# Sysctls of every type (Linux keys: valid cases must apply on Linux),
# static routes of every form, defaults from null. The routes through the
# down link a-c stay inactive until it comes up.
lab "settings" {}

jail "a" {
  hostname = null
  path     = "/usr/jails/a"
  sysctl = {
    "net.ipv4.icmp_ratelimit"            = 0
    "net.ipv4.conf.all.accept_redirects" = true
    "net.ipv4.ip_default_ttl"            = "48"
  }
  routes = {
    default          = "10.2.0.2"
    "192.168.0.0/16" = "10.2.1.2"
    "172.16.5.5"     = "10.2.1.2"
  }
  position = [12.5, -3]

  daemon "sshd" {}
  daemon "rip" {
    command = ["sleep", "86400"]
  }
}

jail "b" {}
jail "c" {}

link "a-b" {
  between   = ["a", "b"]
  subnet    = "10.2.0.0/24"
  addresses = ["10.2.0.1", "10.2.0.2"]
  mtu       = null
}

link "a-c" {
  between = ["a", "c"]
  subnet  = "10.2.1.0/29"
  up      = false
}
