"""The travel_support agent's tool handlers: your code.

agentgen writes this file once and never overwrites it. Each function is named after its tool,
takes the typed call and returns the result (sync or async). A handler that raises becomes a
short error event in the thread, which the model sees on its next step.
"""

from __future__ import annotations

from typing import Any

from .tools import (
    BookCarRental,
    BookExcursion,
    BookHotel,
    CancelCarRental,
    CancelExcursion,
    CancelHotel,
    CancelTicket,
    CompleteOrEscalate,
    FetchUserFlightInformation,
    LookupPolicy,
    SearchCarRentals,
    SearchFlights,
    SearchHotels,
    SearchTripRecommendations,
    TavilySearchResultsJson,
    ToBookCarRental,
    ToBookExcursion,
    ToFlightBookingAssistant,
    ToHotelBookingAssistant,
    UpdateCarRental,
    UpdateExcursion,
    UpdateHotel,
    UpdateTicketToNewFlight,
)


def fetch_user_flight_information(call: FetchUserFlightInformation) -> Any:
    """Fetch all tickets for the user along with corresponding flight information and seat assignments."""
    raise NotImplementedError(
        "handler 'fetch_user_flight_information' is not written yet: see handlers.py"
    )


def tavily_search_results_json(call: TavilySearchResultsJson) -> Any:
    """A search engine optimized for comprehensive, accurate, and trusted results. Useful for when you need to answer questions about current events. Input should be a search query."""
    raise NotImplementedError(
        "handler 'tavily_search_results_json' is not written yet: see handlers.py"
    )


def lookup_policy(call: LookupPolicy) -> str:
    """Consult the company policies to check whether certain options are permitted. Use this before making any flight changes performing other 'write' events."""
    raise NotImplementedError("handler 'lookup_policy' is not written yet: see handlers.py")


def search_flights(call: SearchFlights) -> Any:
    """Search for flights based on departure airport, arrival airport, and departure time range."""
    raise NotImplementedError("handler 'search_flights' is not written yet: see handlers.py")


def search_car_rentals(call: SearchCarRentals) -> Any:
    """Search for car rentals based on location, name, price tier, start date, and end date."""
    raise NotImplementedError("handler 'search_car_rentals' is not written yet: see handlers.py")


def search_hotels(call: SearchHotels) -> Any:
    """Search for hotels based on location, name, price tier, check-in date, and check-out date."""
    raise NotImplementedError("handler 'search_hotels' is not written yet: see handlers.py")


def search_trip_recommendations(call: SearchTripRecommendations) -> Any:
    """Search for trip recommendations based on location, name, and keywords."""
    raise NotImplementedError(
        "handler 'search_trip_recommendations' is not written yet: see handlers.py"
    )


def update_ticket_to_new_flight(call: UpdateTicketToNewFlight) -> str:
    """Update the user's ticket to a new valid flight."""
    raise NotImplementedError(
        "handler 'update_ticket_to_new_flight' is not written yet: see handlers.py"
    )


def cancel_ticket(call: CancelTicket) -> str:
    """Cancel the user's ticket and remove it from the database."""
    raise NotImplementedError("handler 'cancel_ticket' is not written yet: see handlers.py")


def book_car_rental(call: BookCarRental) -> str:
    """Book a car rental by its ID."""
    raise NotImplementedError("handler 'book_car_rental' is not written yet: see handlers.py")


def update_car_rental(call: UpdateCarRental) -> str:
    """Update a car rental's start and end dates by its ID."""
    raise NotImplementedError("handler 'update_car_rental' is not written yet: see handlers.py")


def cancel_car_rental(call: CancelCarRental) -> str:
    """Cancel a car rental by its ID."""
    raise NotImplementedError("handler 'cancel_car_rental' is not written yet: see handlers.py")


def book_hotel(call: BookHotel) -> str:
    """Book a hotel by its ID."""
    raise NotImplementedError("handler 'book_hotel' is not written yet: see handlers.py")


def update_hotel(call: UpdateHotel) -> str:
    """Update a hotel's check-in and check-out dates by its ID."""
    raise NotImplementedError("handler 'update_hotel' is not written yet: see handlers.py")


def cancel_hotel(call: CancelHotel) -> str:
    """Cancel a hotel by its ID."""
    raise NotImplementedError("handler 'cancel_hotel' is not written yet: see handlers.py")


def book_excursion(call: BookExcursion) -> str:
    """Book an excursion by its recommendation ID."""
    raise NotImplementedError("handler 'book_excursion' is not written yet: see handlers.py")


def update_excursion(call: UpdateExcursion) -> str:
    """Update a trip recommendation's details by its ID."""
    raise NotImplementedError("handler 'update_excursion' is not written yet: see handlers.py")


def cancel_excursion(call: CancelExcursion) -> str:
    """Cancel a trip recommendation by its ID."""
    raise NotImplementedError("handler 'cancel_excursion' is not written yet: see handlers.py")


def to_flight_booking_assistant(call: ToFlightBookingAssistant) -> str:
    """Transfers work to a specialized assistant to handle flight updates and cancellations."""
    raise NotImplementedError(
        "handler 'to_flight_booking_assistant' is not written yet: see handlers.py"
    )


def to_book_car_rental(call: ToBookCarRental) -> str:
    """Transfers work to a specialized assistant to handle car rental bookings."""
    raise NotImplementedError("handler 'to_book_car_rental' is not written yet: see handlers.py")


def to_hotel_booking_assistant(call: ToHotelBookingAssistant) -> str:
    """Transfer work to a specialized assistant to handle hotel bookings."""
    raise NotImplementedError(
        "handler 'to_hotel_booking_assistant' is not written yet: see handlers.py"
    )


def to_book_excursion(call: ToBookExcursion) -> str:
    """Transfers work to a specialized assistant to handle trip recommendation and other excursion bookings."""
    raise NotImplementedError("handler 'to_book_excursion' is not written yet: see handlers.py")


def complete_or_escalate(call: CompleteOrEscalate) -> str:
    """A tool to mark the current task as completed and/or to escalate control of the dialog to the main assistant, who can re-route the dialog based on the user's needs."""
    raise NotImplementedError("handler 'complete_or_escalate' is not written yet: see handlers.py")
