# Routers from a map: keys name the jails, values give their hostnames.
lab "campus" {
  description = "Three buildings"
  provider    = "linux"
}

locals {
  buildings = {
    north = "north.campus"
    south = "south.campus"
    east  = "east.campus"
  }
  cables = {
    "north-south" = { ends = ["north", "south"], net = 1 }
    "south-east"  = { ends = ["south", "east"], net = 2 }
  }
}

jail "building" {
  for_each   = local.buildings
  hostname   = each.value
  forwarding = true
  sysctl     = { "net.ipv4.icmp_ratelimit" = 0 }

  daemon "rip" {
    implementation = "bird"
  }
}

link "cable" {
  for_each = local.cables
  between  = each.value.ends
  subnet   = cidrsubnet("10.100.0.0/16", 8, each.value.net)
}
