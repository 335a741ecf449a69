// Validation rules applied on top of GraphQL's own, identically over HTTP and WebSocket.
import type { ValidationRule } from 'graphql';

export const extraValidationRules: ValidationRule[] = [];
