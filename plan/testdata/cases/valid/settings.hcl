# Sysctls of every type, static routes of every form, defaults from null.
lab "settings" {}

jail "a" {
  hostname = null
  path     = "/usr/jails/a"
  sysctl = {
    "net.inet.icmp.icmplim"  = 0
    "net.inet.ip.forwarding" = true
    "kern.hostname_hint"     = "lab"
  }
  routes = {
    default          = "10.2.0.2"
    "192.168.0.0/16" = "10.2.1.2"
    "172.16.5.5"     = "10.2.1.2"
  }
  position = [12.5, -3]

  daemon "sshd" {}
  daemon "rip" {
    command = ["/usr/local/sbin/myrip", "-d"]
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
