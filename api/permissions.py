from rest_framework.permissions import BasePermission


class IsOperator(BasePermission):
    """Staff users run the network; every other account is refused."""

    message = "Operator (staff) access is required."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff)
