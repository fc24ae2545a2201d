"""permessage-deflate (RFC 7692) as the server accepts it: little zlib state per socket."""

from autobahn.websocket.compress import PerMessageDeflateOffer

from runtime.server import STATION_WINDOW_BITS, accept_deflate


def test_a_station_that_lets_the_server_choose_its_window_is_asked_for_the_smallest():
    accept = accept_deflate([PerMessageDeflateOffer(accept_max_window_bits=True)])
    assert accept.get_extension_string() == (
        f"permessage-deflate; client_max_window_bits={STATION_WINDOW_BITS}"
    )
    assert accept.no_context_takeover is True  # no compressor kept between messages
    assert accept.window_bits == 12


def test_an_offer_without_window_choice_is_taken_as_it_is():
    accept = accept_deflate([PerMessageDeflateOffer(accept_max_window_bits=False)])
    assert accept.get_extension_string() == "permessage-deflate"
    assert accept.no_context_takeover is True


def test_a_station_asking_for_a_smaller_server_window_gets_it():
    offer = PerMessageDeflateOffer(accept_max_window_bits=True, request_max_window_bits=10)
    accept = accept_deflate([offer])
    assert accept.window_bits == 10
    assert "server_max_window_bits=10" in accept.get_extension_string()


def test_no_deflate_offer_means_no_compression():
    assert accept_deflate([]) is None
