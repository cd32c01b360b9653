import { Notification } from 'electron';
import { NotificationPolicy, type ClickTarget, type NotificationFacts } from '../desktop/notification-policy';

/** Shows what desktop/notification-policy.ts decides; a click opens the right window. */
export class Notifier {
  private readonly policy = new NotificationPolicy();
  // a shown notification must stay referenced, or its click handler is collected with it
  private readonly live = new Set<Notification>();

  constructor(
    private readonly icon: string,
    private readonly open: (target: ClickTarget) => void,
  ) {}

  /** A one-off message outside the policy (at most once per start, e.g. no keychain). */
  inform(title: string, body: string, target: ClickTarget): void {
    if (Notification.isSupported()) this.show(new Notification({ title, body: body.slice(0, 300), icon: this.icon }), target);
  }

  observe(facts: NotificationFacts, now = Date.now()): void {
    const decided = this.policy.observe(facts, now);
    if (decided.length === 0 || !Notification.isSupported()) return;
    for (const model of decided) {
      this.show(new Notification({ title: model.title, body: model.body, icon: this.icon, silent: model.kind !== 'conflict' }), model.target);
    }
  }

  private show(notification: Notification, target: ClickTarget): void {
    const forget = () => this.live.delete(notification);
    notification.on('click', () => {
      forget();
      this.open(target);
    });
    notification.on('close', forget);
    this.live.add(notification);
    notification.show();
  }
}
