import type { Delivery, Endpoint } from '../api';
import { href } from '../router';
import { openRowLink } from '../row-link';
import { DeliveryStatusBadge } from './Badge';
import { RelTime } from './RelTime';
import { Url } from './Url';

interface Props {
  deliveries: Delivery[];
  endpoints: Map<string, Endpoint> | undefined;
  caption: string;
}

export function DeliveryTable({ deliveries, endpoints, caption }: Props) {
  return (
    <table class="table">
      <caption class="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Delivery</th>
          <th scope="col">Status</th>
          <th scope="col">Endpoint</th>
          <th scope="col">Attempts</th>
          <th scope="col">Created</th>
          <th scope="col">Next attempt</th>
        </tr>
      </thead>
      <tbody>
        {deliveries.map((delivery) => {
          const endpoint = endpoints?.get(delivery.endpointId);
          return (
          <tr key={delivery.id} data-testid="delivery-row" data-id={delivery.id} class="row-link" onClick={openRowLink}>
            <td data-label="Delivery">
              <a class="strong" href={href(`/deliveries/${delivery.id}`)}>
                {delivery.eventType}
              </a>
              <div class="muted mono">{delivery.id}</div>
            </td>
            <td data-label="Status">
              <DeliveryStatusBadge status={delivery.status} />
            </td>
            <td data-label="Endpoint">
              {endpoint ? <Url url={endpoint.url} /> : <span class="mono">{delivery.endpointId}</span>}
            </td>
            <td data-label="Attempts">{delivery.attemptCount}</td>
            <td data-label="Created">
              <RelTime iso={delivery.createdAt} />
            </td>
            <td data-label="Next attempt">
              <RelTime iso={delivery.status === 'pending' ? delivery.nextAttemptAt : null} />
            </td>
          </tr>
          );
        })}
      </tbody>
    </table>
  );
}
