# The classic FreeBSD VIMAGE routing demo: nine routers running RIP and
# sshd, joined by nine point-to-point links with /24 subnets. Take a link
# down mid-class (up = false) and watch RIP find the other way round.
lab "routedemo" {
  description = "Nine RIP routers: the classic VIMAGE routing demo"
  provider    = "auto"
}

jail "vm1" {
  forwarding = true
  position   = [400, 80]

  daemon "rip" {}
  daemon "sshd" {}
}

jail "vm2" {
  forwarding = true
  position   = [250, 260]

  daemon "rip" {}
  daemon "sshd" {}
}

jail "vm3" {
  forwarding = true
  position   = [550, 260]

  daemon "rip" {}
  daemon "sshd" {}
}

jail "vm4" {
  forwarding = true
  position   = [170, 80]

  daemon "rip" {}
  daemon "sshd" {}
}

jail "vm5" {
  forwarding = true
  position   = [630, 80]

  daemon "rip" {}
  daemon "sshd" {}
}

jail "vm6" {
  forwarding = true
  position   = [130, 460]

  daemon "rip" {}
  daemon "sshd" {}
}

jail "vm7" {
  forwarding = true
  position   = [330, 460]

  daemon "rip" {}
  daemon "sshd" {}
}

jail "vm8" {
  forwarding = true
  position   = [470, 460]

  daemon "rip" {}
  daemon "sshd" {}
}

jail "vm9" {
  forwarding = true
  position   = [670, 460]

  daemon "rip" {}
  daemon "sshd" {}
}

link "vm1-vm2" {
  between = ["vm1", "vm2"]
  subnet  = "10.0.10.0/24"
}

link "vm1-vm3" {
  between = ["vm1", "vm3"]
  subnet  = "10.0.20.0/24"
}

link "vm2-vm3" {
  between = ["vm2", "vm3"]
  subnet  = "10.0.30.0/24"
}

link "vm1-vm4" {
  between = ["vm1", "vm4"]
  subnet  = "10.0.40.0/24"
}

link "vm1-vm5" {
  between = ["vm1", "vm5"]
  subnet  = "10.0.50.0/24"
}

link "vm2-vm6" {
  between = ["vm2", "vm6"]
  subnet  = "10.0.60.0/24"
}

link "vm2-vm7" {
  between = ["vm2", "vm7"]
  subnet  = "10.0.70.0/24"
}

link "vm3-vm8" {
  between = ["vm3", "vm8"]
  subnet  = "10.0.80.0/24"
}

link "vm3-vm9" {
  between = ["vm3", "vm9"]
  subnet  = "10.0.90.0/24"
}
