//! The emulator listens on loopback unless told otherwise: `EmulatorConfig::default()` binds 127.0.0.1, a started
//! emulator cannot be reached through this machine's network address, and one told to bind every interface can be
//! (which shows the reachability check itself works).

mod common;

use mgpresence_emulator::{BackgroundEmulator, EmulatorConfig};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream, UdpSocket};
use std::time::Duration;

/// This machine's address on the network it would route to the outside through; `None` without one. Connecting a
/// UDP socket sends nothing; it only picks the route (192.0.2.1 is TEST-NET-1, never a real host).
fn network_address() -> Option<IpAddr> {
    let socket = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0)).ok()?;
    socket.connect((Ipv4Addr::new(192, 0, 2, 1), 9)).ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

fn reachable(at: SocketAddr) -> bool {
    TcpStream::connect_timeout(&at, Duration::from_secs(2)).is_ok()
}

#[test]
fn the_default_configuration_binds_loopback_on_a_free_port() {
    let config = EmulatorConfig::default();
    assert_eq!(config.bind, SocketAddr::from(([127, 0, 0, 1], 0)));
    let emulator = BackgroundEmulator::start(config).unwrap();
    let address = common::address_of(&emulator.url);
    assert!(address.ip().is_loopback() && address.port() != 0, "{}", emulator.url);
    common::assert_healthy(&emulator.url);
}

#[test]
fn a_default_emulator_is_not_reachable_from_the_network_but_an_all_interfaces_one_is() {
    let Some(network_ip) = network_address() else {
        eprintln!("skipped: this machine has no network address besides loopback");
        return;
    };
    let loopback_only = BackgroundEmulator::start(EmulatorConfig::default()).unwrap();
    let port = common::address_of(&loopback_only.url).port();
    assert!(reachable(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port)));
    assert!(!reachable(SocketAddr::new(network_ip, port)), "the default emulator answered on {network_ip}:{port}");

    let everywhere = BackgroundEmulator::start(EmulatorConfig { bind: SocketAddr::from(([0, 0, 0, 0], 0)), ..EmulatorConfig::default() }).unwrap();
    let port = common::address_of(&everywhere.url).port();
    assert!(reachable(SocketAddr::new(network_ip, port)), "an emulator told to bind 0.0.0.0 is reachable on {network_ip}:{port}");
}
